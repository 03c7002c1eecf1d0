import { inject } from 'vitest';

// Runs before each storage test file is imported, so every client the file builds from the
// environment (parseLocalEndpoints) reaches this run's own MinIO and moto, and no other server.
Object.assign(process.env, inject('storageEnvironment'));

import { describeWatermarkStoreContract } from '../../support/watermark-store-contract.js';
import { InMemoryWatermarkStore } from '../fakes/in-memory-watermark-store.js';

// The fake the sealing tests use honours the same contract as the DynamoDB store.
describeWatermarkStoreContract('InMemoryWatermarkStore', () => new InMemoryWatermarkStore());

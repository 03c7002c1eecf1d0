import { describeLakeContract } from '../../support/lake-contract.js';
import { InMemoryLake } from '../fakes/in-memory-lake.js';

describeLakeContract(
  'the in-memory lake keeps the Lake contract',
  () => new InMemoryLake(),
  async (lake, key) => {
    const tags = (lake as InMemoryLake).tagsOf(key);
    return tags === undefined ? undefined : { ...tags };
  },
);

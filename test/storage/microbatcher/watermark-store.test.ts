import { describeWatermarkStoreContract } from '../../support/watermark-store-contract.js';
import { store } from './harness.js';

describeWatermarkStoreContract('WatermarkStore on DynamoDB', () => store);

import { describeAutoscaleDecisionStoreContract } from '../../support/autoscale-decision-store-contract.js';
import { InMemoryAutoscaleDecisionStore } from '../fakes/in-memory-autoscale-decisions.js';

describeAutoscaleDecisionStoreContract(
  'InMemoryAutoscaleDecisionStore',
  () => new InMemoryAutoscaleDecisionStore(),
);

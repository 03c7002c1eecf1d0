/**
 * `@apphub/control-plane/autoscale-settings`: the autoscaler's settings schemas alone. They load no
 * AWS SDK, so the CDK app checks the `autoscale` option with the schema the control plane parses.
 */
export {
  type AutoscaleJobSettings,
  type AutoscaleSettings,
  autoscaleJobSettingsSchema,
  autoscaleSettingDefaults,
  autoscaleSettingsSchema,
} from './autoscale/settings.js';

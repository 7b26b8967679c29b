/**
 * `@nm/testing/vendor-fake`: a fake of the Slack, WeCom, DingTalk and Feishu APIs the senders
 * call, usable in-process (`startVendorFake`) or as a child process (`node dist/vendor-fake/cli.js`).
 */
export { startVendorFake } from './fake.server.js';
export { dingtalkSignature, feishuSignature } from './fake.signing.js';
export { ROUTES } from './fake.types.js';
export type {
  FakeIncident,
  IncidentVendor,
  RateWindow,
  RecordedRequest,
  RouteName,
  ScriptRule,
  SmsProviderFake,
  SmsVendor,
  Vendor,
  VendorFake,
  VendorFakeOptions,
  VendorFakeUrls,
} from './fake.types.js';

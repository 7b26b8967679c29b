import base from '../../jest.config.base.js';

export default { ...base, globalSetup: '<rootDir>/test/global-setup.mjs', testTimeout: 120000 };

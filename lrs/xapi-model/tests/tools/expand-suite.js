// Expands the config-driven statement tests of a local checkout of the ADL LRS conformance
// suite into plain JSON for tests/suite_dump.rs. Nothing is sent anywhere.
//
//   node expand-suite.js /path/to/lrs-conformance-test-suite v2_0 > /tmp/v2.json
//   XAPI_SUITE_DUMP_V2=/tmp/v2.json cargo test -p xapi-model --test suite_dump -- --ignored suite_v2_0_0
const path = require('path');
const fs = require('fs');

const [suiteDir, versionDir] = process.argv.slice(2);
if (!suiteDir || !versionDir) {
  console.error('usage: node expand-suite.js <suite checkout> <v1_0_3|v2_0>');
  process.exit(2);
}
process.env.DIRECTORY = versionDir;
// Keeps the suite's helper from loading an .env file.
process.env.EB_NODE_COMMAND = '1';
process.chdir(suiteDir);
global.describe = () => {};

const helper = require(path.join(suiteDir, 'test', 'helper.js'));
const cases = [];
for (const file of fs.readdirSync(path.join('test', versionDir, 'configs'))) {
  for (const group of helper.getSingleTestConfiguration(file)) {
    for (const test of group.config || []) {
      let statement = test.json;
      if (test.templates) {
        const merged = helper.createTestObject(helper.convertTemplate(test.templates));
        statement = merged[Object.keys(merged)[0]];
      }
      cases.push({ file, group: group.name, name: test.name, expect: test.expect, statement });
    }
  }
}
process.stdout.write(JSON.stringify(cases));

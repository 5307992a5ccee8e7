// Makes docs/console-overview.png, the README's picture of the console: a demo Spine on a fresh
// database, a few minutes of light traffic, then the overview as an operator sees it.
// Run: node --import tsx scripts/console-screenshot.ts [minutes]   (needs /usr/bin/chromium)
import { startTestSpine } from '../test/support/spine.js';
import { DEMO_IDENTITIES } from '../test/support/console.js';
import { openBrowser, signIn } from '../test/support/browser.js';
import { userToken } from '../test/support/identity.js';
import { MB1, MB2, sendMessage } from '../test/messaging/support/mesh-client.js';

const minutes = Number(process.argv[2] ?? '4');
const spine = await startTestSpine();
try {
  const { token } = await userToken(spine, { roleCode: 'R8000' });
  const patients = ['9000000009', '9000000017', '9000000025', '9000000033', '9000000041', '9999999999'];
  const until = Date.now() + minutes * 60_000;
  for (let i = 0; Date.now() < until; i++) {
    await fetch(`${spine.url}/personal-demographics/FHIR/R4/Patient/${patients[i % patients.length]}`, { headers: { authorization: `Bearer ${token}`, 'x-request-id': crypto.randomUUID() } });
    if (i % 5 === 0) await sendMessage(spine.url, MB1, MB2, `message ${i}`);
    if (i % 7 === 0) await fetch(`${spine.url}/spine-directory/FHIR/R4/Device?organization=https://fhir.nhs.uk/Id/ods-organization-code|YES&identifier=https://fhir.nhs.uk/Id/nhsServiceInteractionId|urn:nhs:names:services:psis:REPC_IN150016UK05`, { headers: { apikey: 'x' } });
    await new Promise((resolve) => setTimeout(resolve, 150 + Math.random() * 400));
  }
  const browser = await openBrowser();
  try {
    await signIn(browser.page, spine.url, DEMO_IDENTITIES.operator);
    await browser.page.setViewportSize({ width: 1100, height: 1250 });
    await browser.page.goto(`${spine.url}/console/overview`);
    await browser.page.screenshot({ path: new URL('../docs/console-overview.png', import.meta.url).pathname });
  } finally {
    await browser.close();
  }
} finally {
  await spine.close();
}

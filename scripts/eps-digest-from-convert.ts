// Feasibility check of NHS England's prescription digest: for each `$prepare` example with a
// `$convert` translation beside it, builds FragmentsToBeHashed from the translation (the author's
// time set to the prepare response's timestamp), hashes its exclusive canonical form with SHA-256,
// and compares with the DigestValue of the example's SignedInfo. Prints each example and the count.
//   node --import tsx scripts/eps-digest-from-convert.ts [--show <example name>]
import { createHash } from 'node:crypto';
import { fragmentsToBeHashed } from '../src/services/prescriptions/domain/hl7v3/fragments.js';
import { hl7Timestamp } from '../src/services/prescriptions/domain/hl7v3/datatypes.js';
import { fragmentsOfConvert } from '../test/prescriptions/convert-fragments.js';
import { digestExamples } from '../test/prescriptions/digest-examples.js';

const show = process.argv.indexOf('--show') > 0 ? process.argv[process.argv.indexOf('--show') + 1] : undefined;
let compared = 0;
let matching = 0;
for (const example of digestExamples()) {
  if (!example.convertXml) continue;
  compared++;
  const canonical = fragmentsToBeHashed(fragmentsOfConvert(example.convertXml, hl7Timestamp(example.timestamp)));
  const ok = createHash('sha256').update(canonical).digest('base64') === example.digestValue;
  if (ok) matching++;
  console.log(ok ? 'match   ' : 'MISMATCH', example.name);
  if (show && example.name.includes(show)) console.log(canonical);
}
console.log(`${matching} of ${compared} examples with a $convert translation reproduce their $prepare DigestValue`);

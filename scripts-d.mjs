import {parse} from 'yaml'; import fs from 'fs';
const d = parse(fs.readFileSync(process.argv[2],'utf8'));
for (const [p,ops] of Object.entries(d.paths)) for (const [m,op] of Object.entries(ops)) { console.log('=====',m,p); console.log(op.description); }
console.log('===== PARAMS'); console.log(JSON.stringify(d.components.parameters,null,1));
console.log('===== RESPONSES'); console.log(JSON.stringify(d.components.responses,null,1));
console.log('===== requestBodies'); console.log(JSON.stringify(d.components.requestBodies,null,1).slice(0,3000));
console.log('===== schemas'); console.log(Object.keys(d.components.schemas).join(' '));

import { runPowerLossScenario } from '../test/support/power-loss-property';
import { PowerLossFileSystem } from '../test/support/power-loss-file-system';
const s = JSON.parse(process.argv[2]!);
const proto = PowerLossFileSystem.prototype as any;
for (const m of ['mkdir','readdir','readFile','open','rename','link','unlink','syncDir']) {
  const o = proto[m];
  proto[m] = async function (...a: any[]) { const r = await o.apply(this, a).catch((e: any) => { console.log(`  ${m} ${a.join(' ')} -> ERR ${e.message}`); throw e; }); console.log(`${this.opCount} ${m} ${a.map(String).map(x=>x.replace('/sim/data/mailboxes/','M/').slice(0,40)).join(' ')}${r===true||r===false?' '+r: ''}`); return r; };
}
const oh = proto.handle;
proto.handle = function (inode: any) { const h = oh.call(this, inode); const self = this; const w: any = {}; for (const k of Object.keys(h)) w[k] = async (...a: any[]) => { try { await h[k](...a); console.log(`${self.opCount} h.${k} ${a[0]?.length ?? a[0] ?? ''} size=${inode.data.length}`);} catch (e: any) { console.log(`  h.${k} ERR ${e.message}`); throw e; } }; return w; };
const oc = proto.crash; proto.crash = function (k: string) { console.log(`CRASH ${k} crashed=${this.crashed}`); return oc.call(this, k); };
runPowerLossScenario(s).then((o) => console.log(o));

// typage (npm age-encryption, by age's author): the second independent age implementation the
// post-quantum tests check cfsecret's mlkem768x25519 stanza against (tests/cli/pq.rs).
//
//   node age.mjs keygen        prints {"identity": "AGE-SECRET-KEY-PQ-1…", "recipient": "age1pq1…"}
//   node age.mjs wrap R        stdin: hex payload; prints an armored age file to recipient R
//   node age.mjs unwrap        env AGE_IDENTITY; stdin: an armored age file; prints the hex payload
//
// The identity comes from the environment, never argv; payloads are hex so no byte is mangled.
import { readFileSync } from "node:fs";
import { Decrypter, Encrypter, armor, generateHybridIdentity, identityToRecipient } from "age-encryption";

const hex = (b) => Buffer.from(b).toString("hex");
const stdin = () => readFileSync(0, "utf8");
const [cmd, arg] = process.argv.slice(2);

if (cmd === "keygen") {
  const identity = await generateHybridIdentity();
  console.log(JSON.stringify({ identity, recipient: await identityToRecipient(identity) }));
} else if (cmd === "wrap") {
  const e = new Encrypter();
  e.addRecipient(arg);
  process.stdout.write(armor.encode(await e.encrypt(Buffer.from(stdin().trim(), "hex"))));
} else if (cmd === "unwrap") {
  const d = new Decrypter();
  d.addIdentity(process.env.AGE_IDENTITY);
  console.log(hex(await d.decrypt(armor.decode(stdin()))));
} else {
  console.error("usage: node age.mjs keygen | wrap RECIPIENT | unwrap");
  process.exit(2);
}

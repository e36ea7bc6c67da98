// The mail sink both servers send to: an SMTP server on 127.0.0.1:PORT that writes every message
// it receives to DIR as NNNN.json ({envelope_from, envelope_to, from, to, subject, text, html},
// the format of tests/data/mail_sinks.py), renamed into place once complete so a reader never
// sees half a file. Runs until killed.
//
//   node sink/smtp-sink.mjs PORT DIR

import { rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { simpleParser } from "mailparser";
import { SMTPServer } from "smtp-server";

const [port, dir] = process.argv.slice(2);
if (!port || !dir) {
  console.error("usage: node sink/smtp-sink.mjs PORT DIR");
  process.exit(2);
}

let counter = 0;
const server = new SMTPServer({
  // Plain SMTP on loopback, as the servers under test are configured (smtp://, no TLS, no auth).
  disabledCommands: ["STARTTLS", "AUTH"],
  logger: false,
  onData(stream, session, callback) {
    simpleParser(stream)
      .then(async (message) => {
        const n = String(counter++).padStart(4, "0");
        const entry = {
          envelope_from: session.envelope.mailFrom?.address ?? null,
          envelope_to: session.envelope.rcptTo.map((r) => r.address),
          from: message.from?.text ?? null,
          to: message.to?.text ?? null,
          subject: message.subject ?? null,
          text: message.text ?? null,
          html: typeof message.html === "string" ? message.html : null,
        };
        const partial = join(dir, `.${n}.partial`);
        await writeFile(partial, JSON.stringify(entry));
        await rename(partial, join(dir, `${n}.json`));
        callback();
      })
      .catch(callback);
  },
});
server.listen(Number(port), "127.0.0.1");

import { readFileSync } from "node:fs";
import { validateXML } from "xmllint-wasm";

const SCHEMA = readFileSync(new URL("../fixtures/jenkins-junit.xsd", import.meta.url), "utf8");

/** Validates a JUnit XML text against the Jenkins xUnit junit-10 schema; the errors, none when valid. */
export async function junitErrors(xml: string): Promise<string[]> {
  const r = await validateXML({
    xml: [{ fileName: "junit.xml", contents: xml }],
    schema: [{ fileName: "junit-10.xsd", contents: SCHEMA }],
  });
  return r.valid ? [] : r.errors.map((e) => e.rawMessage);
}

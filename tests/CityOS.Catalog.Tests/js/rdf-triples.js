// Parses a DCAT export with a real RDF client and prints its triples as JSON, one object a triple:
// node rdf-triples.js <jsonld|turtle|n3> <file>  →  [{"s":…,"p":…,"o":…,"kind":"iri|blank|literal","lang":…,"datatype":…}]
'use strict';
const fs = require('fs');
const jsonld = require('jsonld');
const N3 = require('n3');

function term(t) {
  if (t.termType === 'NamedNode') return { value: t.value, kind: 'iri' };
  if (t.termType === 'BlankNode') return { value: '_:' + t.value.replace(/^_:/, ''), kind: 'blank' };
  return { value: t.value, kind: 'literal', lang: t.language || null, datatype: t.datatype ? t.datatype.value : null };
}

function triple(q) {
  const o = term(q.object);
  return { s: term(q.subject).value, p: q.predicate.value, o: o.value, kind: o.kind, lang: o.lang || null, datatype: o.datatype || null };
}

async function main() {
  const [format, file] = process.argv.slice(2);
  const text = fs.readFileSync(file, 'utf8');
  let quads;
  if (format === 'jsonld') {
    // No document loader: the export must be self-contained (its @context inline).
    const documentLoader = (url) => { throw new Error('remote context requested: ' + url); };
    quads = await jsonld.toRDF(JSON.parse(text), { documentLoader });
  } else {
    quads = new N3.Parser({ format: format === 'n3' ? 'text/n3' : 'text/turtle' }).parse(text);
  }
  process.stdout.write(JSON.stringify(quads.map(triple)));
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });

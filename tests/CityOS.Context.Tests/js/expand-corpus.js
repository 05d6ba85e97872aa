'use strict';
// Runs the reference JSON-LD processor (jsonld.js) over the NGSI-LD payload corpus and prints, for every
// attribute name, sub-attribute name, entity type and vocab value, the IRI it expands to and the name that
// IRI compacts back to. Input (file named by argv[2]): { coreUrl, documents: {url: text}, payloads: [...] }.
// Contexts are served from `documents` only: nothing is fetched from the network.
const fs = require('fs');
const jsonld = require('jsonld');

const NGSI_LD = 'https://uri.etsi.org/ngsi-ld/';
const MEMBERS = new Set(['type', 'value', 'object', 'objectType', 'observedAt', 'unitCode', 'datasetId', 'languageMap',
  'valueList', 'objectList', 'vocab', 'json', 'createdAt', 'modifiedAt', 'deletedAt', 'lang', 'instanceId']);
const ENTITY_MEMBERS = new Set(['@context', 'id', 'type', 'scope', 'createdAt', 'modifiedAt', 'deletedAt']);

async function main() {
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const documentLoader = async (url) => {
    if (!(url in input.documents)) {
      throw new Error(`context not in the corpus: ${url}`);
    }
    return { contextUrl: null, documentUrl: url, document: JSON.parse(input.documents[url]) };
  };
  const records = [];
  for (const [index, entity] of input.payloads.entries()) {
    const userContext = entity['@context'];
    const context = [...(Array.isArray(userContext) ? userContext : [userContext]), input.coreUrl];
    const options = { documentLoader };
    const expanded = await jsonld.expand({ ...entity, '@context': context }, options);
    await jsonld.compact(expanded, context, options);

    const expandProperty = async (name) => {
      const result = await jsonld.expand({ '@context': context, '@id': 'urn:probe', [name]: { type: 'Property', value: 1 } }, options);
      return Object.keys(result[0]).find((k) => k !== '@id') ?? null;
    };
    const compactProperty = async (iri) => {
      const node = { '@id': 'urn:probe', [iri]: [{ '@type': [NGSI_LD + 'Property'], [NGSI_LD + 'hasValue']: [{ '@value': 1 }] }] };
      const result = await jsonld.compact(node, context, options);
      return Object.keys(result).find((k) => k !== '@context' && k !== 'id') ?? null;
    };
    const add = async (kind, name, expand, compact) => {
      const iri = await expand(name);
      records.push({ payload: index, kind, name, expanded: iri, compacted: iri === null ? null : await compact(iri) });
    };

    for (const type of [].concat(entity.type)) {
      await add('type', type,
        async (t) => (await jsonld.expand({ '@context': context, '@id': 'urn:probe', '@type': t }, options))[0]['@type'][0],
        async (iri) => (await jsonld.compact({ '@id': 'urn:probe', '@type': [iri] }, context, options)).type);
    }
    for (const [name, attribute] of Object.entries(entity)) {
      if (ENTITY_MEMBERS.has(name)) continue;
      await add('attribute', name, expandProperty, compactProperty);
      for (const instance of [].concat(attribute)) {
        for (const [subName] of Object.entries(instance)) {
          if (!MEMBERS.has(subName)) await add('subAttribute', subName, expandProperty, compactProperty);
        }
        for (const vocab of instance.vocab === undefined ? [] : [].concat(instance.vocab)) {
          await add('vocab', vocab,
            async (v) => (await jsonld.expand({ '@context': context, '@id': 'urn:probe', vocab: v }, options))[0][NGSI_LD + 'hasVocab'][0]['@id'],
            async (iri) => (await jsonld.compact({ '@id': 'urn:probe', [NGSI_LD + 'hasVocab']: [{ '@id': iri }] }, context, options)).vocab);
        }
      }
    }
  }
  process.stdout.write(JSON.stringify({ jsonldVersion: require('jsonld/package.json').version, records }));
}

main().catch((error) => {
  process.stderr.write(`${error.stack || error}\n${error.details ? JSON.stringify(error.details) : ''}\n`);
  process.exit(1);
});

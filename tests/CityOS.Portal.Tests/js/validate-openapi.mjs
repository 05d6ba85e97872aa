// Validates an OpenAPI document (file path in argv[2]) against the OpenAPI schema and its own $refs; prints what it found.
import SwaggerParser from "@apidevtools/swagger-parser";

const api = await SwaggerParser.validate(process.argv[2]);
const operations = Object.values(api.paths ?? {}).flatMap((item) =>
  Object.keys(item).filter((k) => ["get", "put", "post", "delete", "patch", "options", "head"].includes(k)));
console.log(JSON.stringify({ openapi: api.openapi, paths: Object.keys(api.paths ?? {}).length, operations: operations.length }));

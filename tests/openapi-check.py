#!/usr/bin/python3
"""openapi-check.py SPEC LOG: checks recorded HTTP answers against an OpenAPI 3.0
document. LOG has one JSON object per line: {"method", "path", "status", "body"}
(body: the answer's text). Each answer must be to an operation the document has
(its path template and method), with a status it documents, and a JSON body that
its schema accepts (OpenAPI's nullable read as JSON Schema's null type).

Prints each answer that does not match and "all N answers match" or "M of N
answers do not match"; exits 1 when any does not.
"""
import copy
import json
import re
import sys

import jsonschema


def json_schema(node):
    """OpenAPI 3.0 schema objects as JSON Schema: nullable means null is allowed too."""
    if isinstance(node, list):
        return [json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False):
        if "$ref" in node or "allOf" in node or "oneOf" in node or "anyOf" in node:
            node = {"anyOf": [node, {"type": "null"}]}
        elif isinstance(node.get("type"), str):
            node["type"] = [node["type"], "null"]
            if "enum" in node:
                node["enum"] = node["enum"] + [None]
    return node


def operation(spec, method, path):
    for template, item in spec["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in item:
            return template, item[method.lower()]
    return None, None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    spec = json.load(open(sys.argv[1]))
    root = json_schema(copy.deepcopy(spec))
    resolver = jsonschema.RefResolver.from_schema(root)
    checked = failed = 0
    for line in open(sys.argv[2]):
        if not line.strip():
            continue
        answer = json.loads(line)
        method, path, status = answer["method"], answer["path"].split("?")[0], str(answer["status"])
        checked += 1
        template, op = operation(spec, method, path)
        problem = None
        if not op:
            # a route the server does not have answers 404 UNKNOWN_ROUTE; anything else is a gap
            if not (status == "404" and "UNKNOWN_ROUTE" in answer["body"]) \
               and not (status == "405" and "METHOD_NOT_ALLOWED" in answer["body"]):
                problem = "no operation %s %s in the document" % (method, path)
        else:
            responses = op.get("responses", {})
            response = responses.get(status) or responses.get(status[0] + "XX") or responses.get("default")
            if response is None:
                problem = "%s %s does not document status %s" % (method, template, status)
            else:
                media = response.get("content", {}).get("application/json")
                if media and "schema" in media:
                    try:
                        body = json.loads(answer["body"])
                    except ValueError:
                        problem = "%s %s %s: the body is not JSON" % (method, template, status)
                    else:
                        schema = json_schema(media["schema"])
                        errors = sorted(jsonschema.Draft7Validator(schema, resolver=resolver).iter_errors(body),
                                        key=lambda error: list(error.path))
                        if errors:
                            where = "/".join(str(part) for part in errors[0].path)
                            problem = "%s %s %s: at /%s: %s" % (method, template, status, where,
                                                                 errors[0].message[:300])
        if problem:
            failed += 1
            print("mismatch: " + problem)
    if failed:
        print("%d of %d answers do not match" % (failed, checked))
        sys.exit(1)
    print("all %d answers match" % checked)


if __name__ == "__main__":
    main()

#!/usr/bin/env bash
# The desk's and the portal's OpenAPI documents lint clean with Redocly's CLI (0 errors;
# its warnings are listed): what operator-terminal and portal-frontend developers
# generate clients from. The CLI comes from the npm registry, pinned, through npx.
source "$(dirname "$0")/common.sh"
REDOCLY=@redocly/cli@2.77.0
mkdir -p "$EGOV_TEST_DIR/npm"
check "node and npx are there (deploy/install-deps.sh)" command -v npx
for service in intake portal; do
    (cd "$EGOV_TEST_DIR/npm" && timeout 600 npx -y "$REDOCLY" lint --format stylish \
        "$EGOV_REPO/services/$service/openapi.json") >"$EGOV_TEST_DIR/$service.lint" 2>&1
    status=$?
    check_output "services/$service/openapi.json lints without errors ($REDOCLY)" '^exit 0$' echo "exit $status"
    check_output "... the linter read it" 'openapi.json: validated in' cat "$EGOV_TEST_DIR/$service.lint"
    grep -E 'warning|error' "$EGOV_TEST_DIR/$service.lint" | sed 's/^/# /' | head -20
done
egov_test_done

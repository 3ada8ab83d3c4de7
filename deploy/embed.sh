#!/bin/sh
# Turns a text file (a schema) into a C string constant: embed.sh NAME FILE
set -eu
name=$1; file=$2
printf '/* generated from %s by deploy/embed.sh */\n' "$file"
printf 'const char *%s =\n' "$name"
sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' "$file"
printf '    ;\n'

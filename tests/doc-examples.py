#!/usr/bin/python3
"""doc-examples.py DOC [--update]: runs the examples of a Markdown document as
written and compares what they print with what the document shows.

An example is a fenced block whose lines start with "$ " (a command; a line
ending in a backslash continues it) followed by its output. The commands run
one after another in one bash, from the current directory, so a variable one
sets is there for the next. Output is compared line by line after these
stand-ins: a UUID, an ISO 8601 moment, a SHA-256 in hex, and runs of spaces;
"..." on a line of its own stands for any number of lines, "..." inside a line
for any text. Directives in HTML comments, which readers do not see:

    <!-- doc-test: run COMMAND -->    runs COMMAND (in the same bash) before
                                      the next example; it must exit 0
    <!-- doc-test: skip REASON -->    the next example is not run

--update writes what the commands printed into the blocks that did not match
instead (trim long outputs with "..." by hand afterwards). Exit 0 when every example
matched, 1 otherwise.
"""
import os
import re
import subprocess
import sys

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
MOMENT = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[+-]\d{2}:\d{2}|Z)?"
SHA256 = r"\b[0-9a-f]{64}\b"
MARK = "__DOC_TEST_DONE__"


def stand_ins(line):
    line = re.sub(UUID, "<uuid>", line)
    line = re.sub(MOMENT, "<time>", line)
    line = re.sub(SHA256, "<sha256>", line)
    return re.sub(r"\s+", " ", line).strip()


def line_pattern(expected):
    parts = [re.escape(part) for part in stand_ins(expected).split("...")]
    return re.compile("^" + ".*".join(parts) + "$")


def matches(expected, actual):
    """Whether the actual lines fit the expected ones ("..." lines: any lines)."""
    if not expected:
        return not actual
    head = expected[0]
    if head.strip() == "...":
        return any(matches(expected[1:], actual[skip:]) for skip in range(len(actual) + 1))
    return bool(actual) and bool(line_pattern(head).match(stand_ins(actual[0]))) \
        and matches(expected[1:], actual[1:])


class Shell:
    """One bash for the whole document: variables live from one command to the next."""

    def __init__(self):
        self.process = subprocess.Popen(["bash", "--norc", "--noprofile"], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        text=True, bufsize=1)
        self.run("exec 2>&1")

    def run(self, command):
        """The command's output lines and its exit status."""
        self.process.stdin.write("%s\nprintf '\\n%s %%d\\n' $?\n" % (command, MARK))
        self.process.stdin.flush()
        lines = []
        for line in self.process.stdout:
            if line.startswith(MARK + " "):
                if lines and lines[-1] == "":
                    lines.pop()
                return lines, int(line.split()[1])
            lines.append(line.rstrip("\n"))
        raise RuntimeError("bash ended while running: %s" % command)


def examples(text):
    """(start, end, commands) of each example block; commands: [(command, [output])]."""
    found = []
    lines = text.split("\n")
    index = 0
    directives = []
    while index < len(lines):
        line = lines[index]
        directive = re.match(r"^<!-- doc-test: (run|skip) (.*) -->$", line.strip())
        if directive:
            directives.append((directive.group(1), directive.group(2)))
        if line.startswith("```"):
            end = index + 1
            while end < len(lines) and not lines[end].startswith("```"):
                end += 1
            body = lines[index + 1:end]
            if body and body[0].startswith("$ "):
                commands = []
                current = None
                continued = False
                for body_line in body:
                    if continued:
                        current[0] += "\n" + body_line
                        continued = body_line.endswith("\\")
                    elif body_line.startswith("$ "):
                        current = [body_line[2:], []]
                        commands.append(current)
                        continued = body_line.endswith("\\")
                    else:
                        current[1].append(body_line)
                found.append((index + 1, end, commands, directives))
            directives = []
            index = end
        index += 1
    return found


def main():
    if len(sys.argv) not in (2, 3) or (len(sys.argv) == 3 and sys.argv[2] != "--update"):
        sys.exit(__doc__)
    path = sys.argv[1]
    update = len(sys.argv) == 3
    text = open(path).read()
    shell = Shell()
    failed = 0
    replacements = []
    for start, end, commands, directives in examples(text):
        if any(kind == "skip" for kind, _ in directives):
            reason = [argument for kind, argument in directives if kind == "skip"][0]
            print("skipped - %s line %d (%s)" % (os.path.basename(path), start, reason))
            continue
        for kind, argument in directives:
            output, status = shell.run(argument)
            if status != 0:
                print("not ok - %s line %d: the set-up '%s' exited %d:\n#   %s"
                      % (os.path.basename(path), start, argument, status, "\n#   ".join(output)))
                failed += 1
        written = []
        block_matched = True
        for command, expected in commands:
            output, _ = shell.run(command)
            written.append("$ " + command)
            written.extend(output)
            first = command.split("\n")[0]
            if matches(expected, output):
                print("ok - %s line %d: %s" % (os.path.basename(path), start, first))
            else:
                block_matched = False
            if not matches(expected, output) and not update:
                failed += 1
                print("not ok - %s line %d: %s\n#   the document shows:\n#     %s\n#   it printed:\n#     %s"
                      % (os.path.basename(path), start, first, "\n#     ".join(expected),
                         "\n#     ".join(output)))
        if not block_matched:
            replacements.append((start, end, written))
    if update:
        lines = text.split("\n")
        for start, end, written in reversed(replacements):
            lines[start:end] = written
        open(path, "w").write("\n".join(lines))
        print("updated %s" % path)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()

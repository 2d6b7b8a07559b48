#!/usr/bin/env bash
# Builds the project, starts the test ACME CA and Apache James 3.8.1 with the ACME S/MIME
# extension on loopback, creates two users and prints the certificate each one gets.
# Options: --keep-running (stay up until Ctrl-C), --timeout SECONDS, --work-dir DIR.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"

fail() {
    echo "demo.sh: $*" >&2
    exit 1
}

command -v java >/dev/null || fail "java not found: install a JDK 17 or later"
command -v mvn >/dev/null || fail "mvn not found: install Maven 3.8 or later"
java_major="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
[[ "${java_major%%.*}" -ge 17 ]] || fail "Java 17 or later is required, found ${java_major:-unknown}"

echo "Building (mvn -q -B -DskipTests install) ..."
mvn -q -B -Dstyle.color=never -DskipTests install || fail "the build failed; rerun 'mvn -B -DskipTests install' to see why"

classpath_file="$root/integration-tests/target/demo-classpath.txt"
[[ -s "$classpath_file" ]] || fail "$classpath_file is missing after the build"

# The demo prints its own progress; the CA and launcher log only warnings and errors.
exec java -Djamesacme.root="$root" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -cp "$root/integration-tests/target/classes:$(cat "$classpath_file")" \
    io.jamesacme.it.Demo "$@"

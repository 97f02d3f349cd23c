#!/usr/bin/env sh
# Generates the emulator's TEST-ONLY TLS material: a throw-away CA and a server certificate for
# localhost / 127.0.0.1 / ::1 signed by it, valid for ~27 years so committed tests do not rot.
# The CA private key is deleted after signing: nobody can issue more certificates under this CA.
# Output (committed, so tests need no openssl): test/fixtures/tls/{ca.pem,server.pem,server-key.pem}
# Usage: sh emulator/tls/make-test-certs.sh [output-dir]
set -eu
OUT="${1:-$(dirname "$0")/../../test/fixtures/tls}"
DAYS=9999
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days "$DAYS" \
  -subj "/O=SOC Assistant tests/CN=SOC Assistant Splunk emulator test CA" \
  -addext "basicConstraints=critical,CA:TRUE" \
  -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -keyout "$WORK/ca-key.pem" -out "$OUT/ca.pem" 2>/dev/null

openssl req -newkey rsa:2048 -nodes -sha256 \
  -subj "/O=SOC Assistant tests/CN=localhost" \
  -keyout "$OUT/server-key.pem" -out "$WORK/server.csr" 2>/dev/null

cat > "$WORK/ext.cnf" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
EXT

openssl x509 -req -sha256 -days "$DAYS" -in "$WORK/server.csr" \
  -CA "$OUT/ca.pem" -CAkey "$WORK/ca-key.pem" -CAcreateserial -CAserial "$WORK/ca.srl" \
  -extfile "$WORK/ext.cnf" -out "$OUT/server.pem" 2>/dev/null

openssl verify -CAfile "$OUT/ca.pem" "$OUT/server.pem"
echo "wrote $OUT/ca.pem $OUT/server.pem $OUT/server-key.pem"

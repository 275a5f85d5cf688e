#!/usr/bin/env bash
# Remakes the TLS test fixtures of this directory: throwaway certificates and keys for the fast tests (which start no
# process, so cannot run openssl themselves). Test fixtures only, trusted nowhere; valid for 100 years so that they
# never expire under the tests. The integration tests make their own with openssl (TestCertificates).
set -euo pipefail
cd "$(dirname "$0")"
days=36500
san="subjectAltName=IP:127.0.0.1,DNS:localhost"
openssl req -x509 -newkey rsa:2048 -nodes -keyout rsa.key.pem -out rsa.crt.pem -days $days -subj /CN=localhost -addext "$san" 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ec.key.pem -out ec.crt.pem -days $days \
  -subj /CN=localhost -addext "$san" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key.pem -out other.crt.pem -days $days -subj /CN=localhost -addext "$san" 2>/dev/null
# a server certificate issued by rsa.crt.pem, for chains
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key.pem -out leaf.csr -subj /CN=localhost 2>/dev/null
openssl x509 -req -in leaf.csr -CA rsa.crt.pem -CAkey rsa.key.pem -set_serial 2 -days $days -out leaf.crt.pem 2>/dev/null
rm leaf.csr
# the formats serve refuses, and the conversion its message gives
openssl pkey -in rsa.key.pem -traditional -out rsa.pkcs1.pem
openssl pkey -in ec.key.pem -traditional -out ec.sec1.pem
openssl pkcs8 -topk8 -in rsa.key.pem -passout pass:secret-passphrase -out rsa.encrypted.pem
openssl pkcs8 -topk8 -nocrypt -in rsa.pkcs1.pem -out rsa.pkcs1.converted.pem

# TLS 1.2: served (LiteLLM's liveness answer, through the TLS front).
curl -s --cacert corp-ca.pem --tlsv1.2 --tls-max 1.2 https://localhost:8443/health/liveliness
echo
# Only TLS 1.1 offered: refused during the handshake (curl exit code 35). The cipher
# setting lets this curl offer TLS 1.1 at all (OpenSSL 3 forbids it by default).
curl -sS --cacert corp-ca.pem --tlsv1.1 --tls-max 1.1 --ciphers "DEFAULT:@SECLEVEL=0" \
  https://localhost:8443/health/liveliness

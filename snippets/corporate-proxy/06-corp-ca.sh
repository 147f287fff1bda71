# The company's root CA certificate (PEM), saved as ~/corp-ca.pem.
export NODE_EXTRA_CA_CERTS="$HOME/corp-ca.pem"

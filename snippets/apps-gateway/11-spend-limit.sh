# A monthly spend limit for bob@example.com (IdP subject "bob"). amount is a whole number of
# US cents as a string: "1" is one cent, reached in a few dozen test requests; "5000" is $50.
curl -s -X POST http://localhost:8080/v1/organizations/spend_limits \
  -H "x-api-key: $GATEWAY_ADMIN_KEY" -H "content-type: application/json" \
  -d '{"scope": {"type": "user", "user_id": "bob"}, "amount": "1", "period": "monthly"}'

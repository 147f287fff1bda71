# User "dev", password "p@ss:w/rd!" percent-encoded (section 3 of the page).
export HTTPS_PROXY="http://dev:p%40ss%3Aw%2Frd%21@127.0.0.1:3128"

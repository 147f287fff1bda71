claude auth login

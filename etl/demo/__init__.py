"""The generated Xinyang demo data set (illustrative)."""

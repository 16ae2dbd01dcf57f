"""A generator of realistic variant ledgers (issue #12): templates, places, values, and the writer."""

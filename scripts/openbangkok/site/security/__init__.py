"""What a request may do and what it costs: the SQL authorizer and limits of every connection
(sql_guard), the size of an address and the columns it may name (limits), errors answered in
words at no cost (errors). SECURITY.md lists every bound."""

"""Funds: from a victim's report to money back (DESIGN §6).

Cases from reports, tracing victims' money through mule accounts under the rules poison,
haircut, FIFO, LIFO and LIBR, stop-payment and freeze orders, and returns under article 8.
"""

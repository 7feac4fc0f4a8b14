// lituv-bench: placeholder until the load generator lands (issue 7).
print("lituv-bench: not built yet")

"""What is measured: the variants and their canonical names, the classic loop's step for each,
and the peers' versions of it."""

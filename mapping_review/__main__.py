from mapping_review.cli import main

main(prog_name="mapping-review")

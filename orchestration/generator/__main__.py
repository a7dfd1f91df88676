"""``python -m orchestration.generator --customers N --days D --seed S --out DIR``."""

from orchestration.generator.cli import generate_command

if __name__ == "__main__":
    generate_command()

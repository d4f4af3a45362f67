"""ailiance-audit: audit Hugging Face model and dataset repos (LoRA adapters above all).

License chain, EU AI Act documentation, and card claims against the adapter's weights.
"""

__version__ = "0.1.0"

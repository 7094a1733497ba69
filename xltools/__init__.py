"""xltools: Excel forms for a standard sales process, validated, consolidated and summed up."""
from xltools.forms.schema import load_schema

__version__ = "0.1.0"
__all__ = ["load_schema", "__version__"]

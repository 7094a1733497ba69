"""The bilingual Text: each language picks its own wording, placeholders included."""
from xltools.text import Text


def test_a_text_is_called_with_a_language():
    greeting = Text("你好", "hello")
    assert (greeting("zh"), greeting("en")) == ("你好", "hello")


def test_format_fills_a_text_value_in_each_language():
    named = Text("改名为 .xlsx 的", " named .xlsx")
    sentence = Text("这是{named} CSV 文件（{size} 字节）", "a CSV file{named} ({size} bytes)")
    assert sentence.format(named=named, size=3) == Text("这是改名为 .xlsx 的 CSV 文件（3 字节）",
                                                        "a CSV file named .xlsx (3 bytes)")

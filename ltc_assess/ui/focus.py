"""Where the keyboard is: a clear focus frame on every control, for assessors who work keyboard only."""

FOCUS_STYLE = (
    "QPushButton:focus, QLineEdit:focus, QComboBox:focus, QAbstractItemView:focus, QTabBar::tab:focus,"
    " QDateEdit:focus, QAbstractSpinBox:focus, QTextBrowser:focus"
    "{border:2px solid #f59e0b;border-radius:3px;}"
)

"""The Textual console: the app, its widgets and screens, and the workers and controller behind them."""

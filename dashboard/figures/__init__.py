"""Pure figure functions: frames in, ``go.Figure`` out, testable without a server."""

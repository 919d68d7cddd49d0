"""Cross-Entropy Lab: entry point. Page config and navigation over the files in pages/."""

import streamlit as st

from cecore.allocator import limit_heap_growth

# Freed memory goes back to the system (glibc keeps it otherwise, and the server's memory
# grows with every visitor's upload); done once per process, a no-op after the first run.
limit_heap_growth()

# Icons are emoji: a page's icon becomes the favicon, and a Material icon favicon would be
# fetched from a font CDN (a request to another host); emoji favicons are drawn locally.
st.set_page_config(page_title="Cross-Entropy Lab", page_icon="📉", layout="wide")

PAGES = [
    st.Page("pages/home.py", title="Home", icon="🏠", default=True),
    st.Page("pages/loss_curves.py", title="Binary cross-entropy", icon="📈"),
    st.Page("pages/softmax.py", title="Softmax cross-entropy", icon="📊"),
    st.Page("pages/likelihood.py", title="From likelihood to log loss", icon="🧮"),
    st.Page("pages/train.py", title="Train on your data", icon="🏋️"),
]

st.navigation(PAGES).run()

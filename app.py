"""Cross-Entropy Lab: entry point. Page config and navigation over the files in pages/."""

import streamlit as st

from cecore.allocator import limit_heap_growth
from cecore.native_threads import limit_native_threads

# Freed memory goes back to the system (glibc keeps it otherwise, and the server's memory
# grows with every visitor's upload); done once per process, a no-op after the first run.
limit_heap_growth()
# BLAS and OpenMP on one thread (once per process): on this 2-core machine Train -> results
# at 100 x 20,000 took 8.6 s in the browser with a thread per core and 4.3 s with one, and an
# epoch at 200,000 x 20 is no slower; the spinning second thread takes the core that the page,
# or another visitor, needs (figures in cecore/native_threads.py and the README).
limit_native_threads()

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

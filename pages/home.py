import streamlit as st

st.title("Cross-Entropy Lab")
st.write("Cross-entropy (log) loss you can see and train with.")

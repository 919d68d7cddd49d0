import streamlit as st

st.title("likelihood")
st.info("This page is being built.")

import streamlit as st

st.title("loss_curves")
st.info("This page is being built.")

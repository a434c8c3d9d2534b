from django.urls import path

from opendata import views

app_name = "opendata"
urlpatterns = [
    path("donnees-ouvertes/", views.index, name="index"),
    path("donnees-ouvertes/subventions.csv", views.grants_csv, name="grants_csv"),
    path("donnees-ouvertes/schema.json", views.schema, name="schema"),
]

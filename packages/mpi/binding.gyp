{
  "targets": [
    {
      "target_name": "bigface_mpi",
      "sources": ["native/mpi-addon.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "<!@(mpicxx --showme:compile)"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "libraries": ["<!@(mpicxx --showme:link)", "-ldl"]
    }
  ]
}

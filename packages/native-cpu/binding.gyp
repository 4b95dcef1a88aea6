{
  "targets": [
    {
      "target_name": "bigface_native_cpu",
      "sources": ["native/addon.cc"],
      "cflags_cc": ["-O3", "-std=c++17", "-fopenmp", "-fexceptions", "-fno-trapping-math", "-ffp-contract=off"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-Wl,-z,nodelete", "-ldnnl", "-lopenblas", "-fopenmp"]
    }
  ]
}

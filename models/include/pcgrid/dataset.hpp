// Datasets: Fashion-MNIST (and MNIST-format) IDX files, gzip-compressed or plain.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace pcgrid {

// Default location of Debian's package dataset-fashion-mnist.
constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A labelled image set: `images` is count × (rows*cols) bytes, row-major, one image after another.
struct ImageSet {
  int64_t count = 0, rows = 0, cols = 0;
  std::vector<uint8_t> images;
  std::vector<uint8_t> labels;
  int num_classes = 10;
  int64_t pixels() const { return rows * cols; }
};

// Reads an IDX image file and its label file (".gz" → gunzip, else raw). Checks magic numbers, declared
// sizes against the file length, that image and label counts agree and that labels are < 10. `limit` > 0
// keeps only the first `limit` samples. Throws DataError naming the file and what was wrong.
ImageSet load_idx(const std::string& images_path, const std::string& labels_path, int64_t limit = 0);

// Loads "train" or "t10k" split from a directory holding the four standard file names
// (train-images-idx3-ubyte[.gz], ...). A missing file gives an error naming the file and the Debian
// package that provides it (dataset-fashion-mnist).
ImageSet load_fashion_mnist(const std::string& dir, const std::string& split, int64_t limit = 0);

}  // namespace pcgrid

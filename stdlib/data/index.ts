// Data sets and loaders (k.data): the book's data hub with SHA-1-verified downloads into a
// cache folder, minibatch loaders over host arrays, Fashion-MNIST, Kaggle house prices,
// synthetic regression data and k-fold splits.
export { HostArray, DataError, toHostArray, type HostData, type ArrayInput } from './host.ts';
export {
  DATA_HUB, DATA_URL, ChecksumError, dataDir, download, readDataText, sha1File, sha1Hex,
  type DataHubEntry, type DownloadOptions,
} from './download.ts';
export { DataLoader, type DataLoaderOptions, type Dataset } from './loader.ts';
export { syntheticData } from './synthetic.ts';
export {
  DEFAULT_FASHION_MNIST_DIR, FASHION_MNIST_FILES, FASHION_MNIST_LABELS, FashionMnist, loadFashionMnist, parseIdx,
  resizeImages, textLabels, type FashionMnistOptions, type IdxArray, type ImageSplit,
} from './fashion-mnist.ts';
export { PANDAS_NA_VALUES, loadHousePrices, preprocessHouse, readCsv, type HouseData, type PreprocessOptions, type Table } from './house-prices.ts';
export { kFold, kFoldSplits, type Fold } from './split.ts';
export { loadAirfoil, readTimeMachine } from './files.ts';
